// A navigation system in theatre, built on OpenIGTLink's reference C++ library (Debian's
// libopenigtlink-dev): the peer of tests/igtlink/navigation.int.test.ts.
//
//   igtl-navigation <host> <port> <seconds>
//
// connects to Passerelle and sends, each stamped <seconds> (Unix time) by the device clock:
//   STATUS    from NAV-Tracker  OK, "Tracking"
//   TRANSFORM from NAV-Stylus   the tool 10.5 mm right, 20 mm anterior, 30 mm up, turned 90 degrees about z
//   STRING    from NAV-Console  "Registration accepted"
//   IMAGE     from NAV-Video    64x48 uint8, 0.5 mm pixels, each pixel (x + y) * 2
// then a GET_STATUS, and prints the code of the STATUS Passerelle answers with: the messages are
// handled in order, so by then every one before it has been received.
#include <igtlClientSocket.h>
#include <igtlImageMessage.h>
#include <igtlMessageHeader.h>
#include <igtlStatusMessage.h>
#include <igtlStringMessage.h>
#include <igtlTransformMessage.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>

namespace {

igtl::ClientSocket::Pointer socket;
unsigned int seconds = 0;

void send(igtl::MessageBase* message, const char* device) {
  message->SetDeviceName(device);
  message->SetTimeStamp(seconds, 0);
  message->Pack();
  if (socket->Send(message->GetPackPointer(), message->GetPackSize()) == 0) {
    std::cerr << "sending " << device << " failed\n";
    std::exit(2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: igtl-navigation <host> <port> <seconds>\n";
    return 1;
  }
  seconds = static_cast<unsigned int>(std::strtoul(argv[3], nullptr, 10));
  socket = igtl::ClientSocket::New();
  if (socket->ConnectToServer(argv[1], std::atoi(argv[2])) != 0) {
    std::cerr << "cannot connect to " << argv[1] << ':' << argv[2] << '\n';
    return 2;
  }

  igtl::StatusMessage::Pointer status = igtl::StatusMessage::New();
  status->SetCode(igtl::StatusMessage::STATUS_OK);
  status->SetSubCode(0);
  status->SetErrorName("");
  status->SetStatusString("Tracking");
  send(status, "NAV-Tracker");

  igtl::TransformMessage::Pointer transform = igtl::TransformMessage::New();
  igtl::Matrix4x4 m;
  igtl::IdentityMatrix(m);
  m[0][0] = 0; m[0][1] = -1; m[1][0] = 1; m[1][1] = 0;  // 90 degrees about z
  m[0][3] = 10.5f; m[1][3] = 20; m[2][3] = 30;
  transform->SetMatrix(m);
  send(transform, "NAV-Stylus");

  igtl::StringMessage::Pointer text = igtl::StringMessage::New();
  text->SetString("Registration accepted");
  send(text, "NAV-Console");

  igtl::ImageMessage::Pointer image = igtl::ImageMessage::New();
  image->SetDimensions(64, 48, 1);
  image->SetSpacing(0.5f, 0.5f, 1);
  image->SetScalarTypeToUint8();
  image->SetNumComponents(1);
  image->AllocateScalars();
  uint8_t* pixels = static_cast<uint8_t*>(image->GetScalarPointer());
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++) pixels[y * 64 + x] = static_cast<uint8_t>((x + y) * 2);
  send(image, "NAV-Video");

  igtl::GetStatusMessage::Pointer query = igtl::GetStatusMessage::New();
  send(query, "NAV-Tracker");

  socket->SetReceiveTimeout(10000);
  igtl::MessageHeader::Pointer header = igtl::MessageHeader::New();
  header->InitPack();
  if (socket->Receive(header->GetPackPointer(), header->GetPackSize()) != header->GetPackSize()) {
    std::cerr << "no answer to GET_STATUS\n";
    return 3;
  }
  header->Unpack();
  igtl::StatusMessage::Pointer answer = igtl::StatusMessage::New();
  answer->SetMessageHeader(header);
  answer->AllocatePack();
  socket->Receive(answer->GetPackBodyPointer(), answer->GetPackBodySize());
  if (!(answer->Unpack(1) & igtl::MessageHeader::UNPACK_BODY)) {
    std::cerr << "the answer to GET_STATUS does not unpack (type " << header->GetDeviceType() << ")\n";
    return 3;
  }
  std::cout << header->GetDeviceType() << ' ' << answer->GetCode() << '\n';
  socket->CloseSocket();
  return 0;
}
