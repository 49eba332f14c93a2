// The reference peer of tests/igtlink/reference-library.int.test.ts: OpenIGTLink's own C++
// library (Debian's libopenigtlink-dev 1.11, protocol version 2) packing and unpacking messages,
// so the codec is compared with the implementation devices use rather than with our reading of
// the specification.
//
//   igtl-reference          packs a fixed list of messages, one line each: <TYPE> <hex>
//   igtl-reference decode   reads such lines on stdin and unpacks each with the CRC checked,
//                           one line each: <TYPE> ok <device> <seconds> <fraction> <fields...>
//                           or <TYPE> fail <why>
//
// The values are the test's fixtures, in the same order, chosen to be exact in float32 and to
// print the same with ostream's default format (%g) as with JavaScript's String().
#include <igtlCapabilityMessage.h>
#include <igtlImageMessage.h>
#include <igtlMessageHeader.h>
#include <igtlPointMessage.h>
#include <igtlPositionMessage.h>
#include <igtlQuaternionTrackingDataMessage.h>
#include <igtlStatusMessage.h>
#include <igtlStringMessage.h>
#include <igtlTrackingDataMessage.h>
#include <igtlTransformMessage.h>

#include <cstdint>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

const int HEADER_SIZE = 58;

// ---- Packing ------------------------------------------------------------------------------

// A TRANSFORM-style matrix from the 12 numbers in wire order (rotation columns, then translation).
void toMatrix(const float wire[12], igtl::Matrix4x4& m) {
  igtl::IdentityMatrix(m);
  for (int column = 0; column < 4; column++)
    for (int row = 0; row < 3; row++) m[row][column] = wire[column * 3 + row];
}

void print(const char* type, igtl::MessageBase* message, const char* device = "Reference") {
  message->SetDeviceName(device);
  // 1700000000 s and half a second (0x80000000 in 1/2^32 s), set as seconds and fraction: the
  // TimeStamp route (SetTime(1700000000, 500000000)) gives 0x7fffffff, as this version's
  // igtl_nanosec_to_frac rounds down.
  message->SetTimeStamp(1700000000u, 0x80000000u);
  message->AllocatePack();
  message->Pack();
  std::cout << type << ' ';
  const unsigned char* bytes = static_cast<const unsigned char*>(message->GetPackPointer());
  for (int i = 0; i < message->GetPackSize(); i++) {
    static const char digits[] = "0123456789abcdef";
    std::cout << digits[bytes[i] >> 4] << digits[bytes[i] & 15];
  }
  std::cout << '\n';
}

const float MATRIX[12] = {1, 0, 0, 0, 0.5f, -0.5f, 0, 0.5f, 0.5f, 10.25f, -20.5f, 300};
const float TURN[12] = {0, 1, 0, -1, 0, 0, 0, 0, 1, -4.5f, 8, 0.125f};

void packAll() {
  igtl::Matrix4x4 m;

  // A full 20-character device name: no NUL terminator in the header.
  igtl::TransformMessage::Pointer transform = igtl::TransformMessage::New();
  toMatrix(MATRIX, m);
  transform->SetMatrix(m);
  print("TRANSFORM", transform, "TwentyCharDeviceName");

  igtl::PositionMessage::Pointer position = igtl::PositionMessage::New();
  position->SetPosition(1.5f, 2.5f, -3);
  position->SetQuaternion(0.5f, -0.5f, 0.5f, 0.5f);
  print("POSITION", position);

  igtl::QuaternionTrackingDataMessage::Pointer qtdata = igtl::QuaternionTrackingDataMessage::New();
  igtl::QuaternionTrackingDataElement::Pointer stylus = igtl::QuaternionTrackingDataElement::New();
  stylus->SetName("Stylus");
  stylus->SetType(igtl::QuaternionTrackingDataElement::TYPE_6D);
  stylus->SetPosition(10.25f, -20.5f, 300);
  stylus->SetQuaternion(0, 0, 0, 1);
  qtdata->AddQuaternionTrackingDataElement(stylus);
  igtl::QuaternionTrackingDataElement::Pointer needle = igtl::QuaternionTrackingDataElement::New();
  needle->SetName("Needle");
  needle->SetType(igtl::QuaternionTrackingDataElement::TYPE_3D);
  needle->SetPosition(1, 2, 3);
  needle->SetQuaternion(0.5f, 0.5f, 0.5f, 0.5f);
  qtdata->AddQuaternionTrackingDataElement(needle);
  print("QTDATA", qtdata);

  igtl::TrackingDataMessage::Pointer tdata = igtl::TrackingDataMessage::New();
  igtl::TrackingDataElement::Pointer reference = igtl::TrackingDataElement::New();
  reference->SetName("Reference");
  reference->SetType(igtl::TrackingDataElement::TYPE_TRACKER);
  toMatrix(MATRIX, m);
  reference->SetMatrix(m);
  tdata->AddTrackingDataElement(reference);
  igtl::TrackingDataElement::Pointer probe = igtl::TrackingDataElement::New();
  probe->SetName("Probe");
  probe->SetType(igtl::TrackingDataElement::TYPE_5D);
  toMatrix(TURN, m);
  probe->SetMatrix(m);
  tdata->AddTrackingDataElement(probe);
  print("TDATA", tdata);

  igtl::StartTrackingDataMessage::Pointer start = igtl::StartTrackingDataMessage::New();
  start->SetResolution(50);
  start->SetCoordinateName("Patient");
  print("STT_TDATA", start);

  igtl::StopTrackingDataMessage::Pointer stop = igtl::StopTrackingDataMessage::New();
  print("STP_TDATA", stop);

  igtl::RTSTrackingDataMessage::Pointer reply = igtl::RTSTrackingDataMessage::New();
  reply->SetStatus(igtl::RTSTrackingDataMessage::STATUS_ERROR);
  print("RTS_TDATA", reply);

  igtl::StatusMessage::Pointer ok = igtl::StatusMessage::New();
  ok->SetCode(igtl::StatusMessage::STATUS_OK);
  ok->SetSubCode(0);
  ok->SetErrorName("");
  ok->SetStatusString("Ready");
  print("STATUS", ok);

  // A subcode with eight different bytes, to see their order.
  igtl::StatusMessage::Pointer error = igtl::StatusMessage::New();
  error->SetCode(igtl::StatusMessage::STATUS_CONFIG_ERROR);
  error->SetSubCode(0x0123456789abcdefLL);
  error->SetErrorName("ConfigError");
  error->SetStatusString("Tool not found on port 3");
  print("STATUS", error);

  igtl::StringMessage::Pointer utf8 = igtl::StringMessage::New();
  utf8->SetEncoding(106);
  utf8->SetString("Grüße, 東京 ✓");
  print("STRING", utf8);

  igtl::StringMessage::Pointer ascii = igtl::StringMessage::New();
  ascii->SetEncoding(3);
  ascii->SetString("<cmd name=\"Start\"/>");
  print("STRING", ascii);

  igtl::PointMessage::Pointer point = igtl::PointMessage::New();
  igtl::PointElement::Pointer entry = igtl::PointElement::New();
  entry->SetName("Entry");
  entry->SetGroupName("Fiducial");
  entry->SetRGBA(255, 128, 0, 200);
  entry->SetPosition(12.5f, -7.25f, 30);
  entry->SetRadius(2.5f);
  entry->SetOwner("CT-Volume");
  point->AddPointElement(entry);
  print("POINT", point);

  // 2D: 4x3 uint8, one component, RAS, the default orientation.
  igtl::ImageMessage::Pointer flat = igtl::ImageMessage::New();
  flat->SetDimensions(4, 3, 1);
  flat->SetSpacing(0.5f, 0.25f, 1);
  flat->SetOrigin(10, -20.5f, 0);
  flat->SetScalarTypeToUint8();
  flat->SetNumComponents(1);
  flat->SetCoordinateSystem(igtl::ImageMessage::COORDINATE_RAS);
  flat->AllocateScalars();
  for (int i = 0; i < 12; i++) static_cast<uint8_t*>(flat->GetScalarPointer())[i] = static_cast<uint8_t>(i * 20);
  print("IMAGE", flat);

  // 3D: 2x2x2 int16 in little-endian order (this host's), LPS, axes turned a quarter about z.
  igtl::ImageMessage::Pointer volume = igtl::ImageMessage::New();
  volume->SetDimensions(2, 2, 2);
  volume->SetSpacing(1.5f, 2, 3);
  volume->SetOrigin(-100, 50.5f, 7.75f);
  float i[3] = {0, 1, 0}, j[3] = {-1, 0, 0}, k[3] = {0, 0, 1};
  volume->SetNormals(i, j, k);
  volume->SetScalarTypeToInt16();
  volume->SetEndian(igtl::ImageMessage::ENDIAN_LITTLE);
  volume->SetCoordinateSystem(igtl::ImageMessage::COORDINATE_LPS);
  volume->AllocateScalars();
  const int16_t voxels[8] = {-32768, -2, -1, 0, 1, 256, 1000, 32767};
  std::memcpy(volume->GetScalarPointer(), voxels, sizeof voxels);
  print("IMAGE", volume);

  igtl::CapabilityMessage::Pointer capability = igtl::CapabilityMessage::New();
  // GET_TRANSFOR fills the 12 bytes of a type name.
  capability->SetTypes({"TRANSFORM", "STATUS", "QTDATA", "GET_TRANSFOR"});
  print("CAPABILITY", capability);

  igtl::GetStatusMessage::Pointer getStatus = igtl::GetStatusMessage::New();
  print("GET_STATUS", getStatus);

  igtl::GetCapabilityMessage::Pointer getCapability = igtl::GetCapabilityMessage::New();
  print("GET_CAPABIL", getCapability);
}

// ---- Unpacking ----------------------------------------------------------------------------

void quoted(std::ostream& out, const std::string& text) { out << " \"" << text << '"'; }

// The 12 numbers of a matrix in wire order.
void wire(std::ostream& out, igtl::Matrix4x4& m) {
  for (int column = 0; column < 4; column++)
    for (int row = 0; row < 3; row++) out << ' ' << m[row][column];
}

void floats(std::ostream& out, const float* values, int count) {
  for (int n = 0; n < count; n++) out << ' ' << values[n];
}

// Unpacks the body into `message` with the CRC checked; the key fields follow the device name
// and timestamp on `out`. Returns why it failed, or nothing.
std::string unpack(igtl::MessageBase* message, igtl::MessageHeader* header, const std::vector<uint8_t>& bytes, std::ostream& out) {
  // SetMessageHeader's result is not used: PositionMessage's returns 0 until the body is there.
  // That the header was taken shows in the body size it sets.
  message->SetMessageHeader(header);
  if (message->GetBodySizeToRead() != header->GetBodySizeToRead()) return "SetMessageHeader refused the header";
  message->AllocatePack();
  if (message->GetPackBodySize() != static_cast<int>(bytes.size()) - HEADER_SIZE) return "the body is not the size the header says";
  std::memcpy(message->GetPackBodyPointer(), bytes.data() + HEADER_SIZE, bytes.size() - HEADER_SIZE);
  int flags = message->Unpack(1);
  // The library unpacks (and checks the CRC of) a body only when there is one.
  if (message->GetPackBodySize() > 0 && !(flags & igtl::MessageBase::UNPACK_BODY)) return "the body was not unpacked (bad CRC?)";
  unsigned int seconds, fraction;
  message->GetTimeStamp(&seconds, &fraction);
  out << ' ' << message->GetDeviceName() << ' ' << seconds << ' ' << fraction;
  return "";
}

std::string decode(const std::string& type, const std::vector<uint8_t>& bytes) {
  if (bytes.size() < HEADER_SIZE) return "fail shorter than a header";
  igtl::MessageHeader::Pointer header = igtl::MessageHeader::New();
  header->InitPack();
  std::memcpy(header->GetPackPointer(), bytes.data(), HEADER_SIZE);
  if (!(header->Unpack(1) & igtl::MessageBase::UNPACK_HEADER)) return "fail the header was not unpacked";
  if (type != header->GetDeviceType()) return std::string("fail the header says ") + header->GetDeviceType();

  std::ostringstream out;
  std::string error;
  igtl::Matrix4x4 m;
  float v[4];
  if (type == "TRANSFORM") {
    igtl::TransformMessage::Pointer message = igtl::TransformMessage::New();
    if ((error = unpack(message, header, bytes, out)).empty()) message->GetMatrix(m), wire(out, m);
  } else if (type == "POSITION") {
    igtl::PositionMessage::Pointer message = igtl::PositionMessage::New();
    if ((error = unpack(message, header, bytes, out)).empty()) {
      message->GetPosition(v), floats(out, v, 3);
      message->GetQuaternion(v), floats(out, v, 4);
    }
  } else if (type == "QTDATA") {
    igtl::QuaternionTrackingDataMessage::Pointer message = igtl::QuaternionTrackingDataMessage::New();
    if ((error = unpack(message, header, bytes, out)).empty()) {
      for (int n = 0; n < message->GetNumberOfQuaternionTrackingDataElements(); n++) {
        igtl::QuaternionTrackingDataElement::Pointer element;
        message->GetQuaternionTrackingDataElement(n, element);
        quoted(out, element->GetName());
        out << ' ' << static_cast<int>(element->GetType());
        element->GetPosition(v), floats(out, v, 3);
        element->GetQuaternion(v), floats(out, v, 4);
      }
    }
  } else if (type == "TDATA") {
    igtl::TrackingDataMessage::Pointer message = igtl::TrackingDataMessage::New();
    if ((error = unpack(message, header, bytes, out)).empty()) {
      for (int n = 0; n < message->GetNumberOfTrackingDataElements(); n++) {
        igtl::TrackingDataElement::Pointer element;
        message->GetTrackingDataElement(n, element);
        quoted(out, element->GetName());
        out << ' ' << static_cast<int>(element->GetType());
        element->GetMatrix(m), wire(out, m);
      }
    }
  } else if (type == "STT_TDATA") {
    igtl::StartTrackingDataMessage::Pointer message = igtl::StartTrackingDataMessage::New();
    if ((error = unpack(message, header, bytes, out)).empty()) {
      out << ' ' << message->GetResolution();
      quoted(out, message->GetCoordinateName());
    }
  } else if (type == "STP_TDATA") {
    igtl::StopTrackingDataMessage::Pointer message = igtl::StopTrackingDataMessage::New();
    error = unpack(message, header, bytes, out);
  } else if (type == "RTS_TDATA") {
    igtl::RTSTrackingDataMessage::Pointer message = igtl::RTSTrackingDataMessage::New();
    if ((error = unpack(message, header, bytes, out)).empty()) out << ' ' << static_cast<int>(message->GetStatus());
  } else if (type == "STATUS") {
    igtl::StatusMessage::Pointer message = igtl::StatusMessage::New();
    if ((error = unpack(message, header, bytes, out)).empty()) {
      out << ' ' << message->GetCode() << ' ' << static_cast<long long>(message->GetSubCode());
      quoted(out, message->GetErrorName());
      quoted(out, message->GetStatusString());
    }
  } else if (type == "STRING") {
    igtl::StringMessage::Pointer message = igtl::StringMessage::New();
    if ((error = unpack(message, header, bytes, out)).empty()) {
      out << ' ' << message->GetEncoding();
      quoted(out, message->GetString());
    }
  } else if (type == "POINT") {
    igtl::PointMessage::Pointer message = igtl::PointMessage::New();
    if ((error = unpack(message, header, bytes, out)).empty()) {
      for (int n = 0; n < message->GetNumberOfPointElement(); n++) {
        igtl::PointElement::Pointer element;
        message->GetPointElement(n, element);
        quoted(out, element->GetName());
        quoted(out, element->GetGroupName());
        igtlUint8 rgba[4];
        element->GetRGBA(rgba);
        for (igtlUint8 c : rgba) out << ' ' << static_cast<int>(c);
        element->GetPosition(v), floats(out, v, 3);
        out << ' ' << element->GetRadius();
        quoted(out, element->GetOwner());
      }
    }
  } else if (type == "IMAGE") {
    igtl::ImageMessage::Pointer message = igtl::ImageMessage::New();
    if ((error = unpack(message, header, bytes, out)).empty()) {
      int size[3], subSize[3], subOffset[3];
      float normals[3][3];
      message->GetDimensions(size);
      message->GetSubVolume(subSize, subOffset);
      out << ' ' << message->GetNumComponents() << ' ' << message->GetScalarType() << ' ' << message->GetEndian() << ' ' << message->GetCoordinateSystem();
      for (int n : size) out << ' ' << n;
      message->GetSpacing(v), floats(out, v, 3);
      message->GetOrigin(v), floats(out, v, 3);
      // normals[axis component][i, j or k]
      message->GetNormals(normals);
      for (int axis = 0; axis < 3; axis++)
        for (int c = 0; c < 3; c++) out << ' ' << normals[c][axis];
      for (int n : subOffset) out << ' ' << n;
      for (int n : subSize) out << ' ' << n;
      out << ' ';
      const uint8_t* pixels = static_cast<const uint8_t*>(message->GetScalarPointer());
      for (int n = 0; n < message->GetSubVolumeImageSize(); n++) {
        static const char digits[] = "0123456789abcdef";
        out << digits[pixels[n] >> 4] << digits[pixels[n] & 15];
      }
    }
  } else if (type == "CAPABILITY") {
    igtl::CapabilityMessage::Pointer message = igtl::CapabilityMessage::New();
    if ((error = unpack(message, header, bytes, out)).empty()) {
      for (const std::string& name : message->GetTypes()) quoted(out, name);
    }
  } else if (type == "GET_STATUS") {
    igtl::GetStatusMessage::Pointer message = igtl::GetStatusMessage::New();
    error = unpack(message, header, bytes, out);
  } else if (type == "GET_CAPABIL") {
    igtl::GetCapabilityMessage::Pointer message = igtl::GetCapabilityMessage::New();
    error = unpack(message, header, bytes, out);
  } else {
    return "fail this program does not decode " + type;
  }
  return error.empty() ? "ok" + out.str() : "fail " + error;
}

void decodeAll() {
  std::string type, hex;
  while (std::cin >> type >> hex) {
    std::vector<uint8_t> bytes;
    for (size_t n = 0; n + 1 < hex.size(); n += 2) bytes.push_back(static_cast<uint8_t>(std::stoi(hex.substr(n, 2), nullptr, 16)));
    std::cout << type << ' ' << decode(type, bytes) << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "decode") {
    decodeAll();
  } else {
    packAll();
  }
  return 0;
}
